// Live results without piling up requests: `run` asks for the newest state only, at most one
// request in flight; a change while one is out is sent as soon as it returns (older states in
// between are skipped). No request is ever aborted, so the browser reports none as failed.
// `run(state, delay)` waits `delay` ms of quiet first (typing: one request per pause, not per
// key), and `run.idle()` sends a waiting state at once and resolves when the newest state's
// answer has been shown (a save waits on it rather than judging an older answer).
export function latestOnly(fetcher, show) {
  let inFlight = false;
  let pending = null;  // the newest state not yet sent
  let generation = 0;
  let timer = 0;       // the quiet period before `pending` is sent
  let waiters = [];    // idle() promises, resolved when nothing is waiting or out
  function settle() {
    if (inFlight || pending !== null || timer) return;
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  }
  async function pump() {
    if (inFlight || pending === null || timer) return settle();
    const { state, gen } = pending;
    pending = null;
    inFlight = true;
    try {
      const result = await fetcher(state);
      if (gen === generation) show(result, null);  // only the newest state's answer is shown
    } catch (e) {
      if (gen === generation) show(null, e);
    } finally {
      inFlight = false;
      pump();
    }
  }
  function flush() {
    clearTimeout(timer);
    timer = 0;
    pump();
  }
  const run = (state, delay = 0) => {
    pending = { state, gen: ++generation };
    clearTimeout(timer);
    timer = 0;
    if (delay > 0) timer = setTimeout(flush, delay);
    else pump();
  };
  run.idle = () => {
    const done = new Promise((resolve) => waiters.push(resolve));
    flush();
    return done;
  };
  // Nothing to show any more: a request in flight is let finish, its answer not shown.
  run.cancel = () => {
    pending = null;
    clearTimeout(timer);
    timer = 0;
    ++generation;
    settle();
  };
  return run;
}
