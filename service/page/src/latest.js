// Live results without piling up requests: `run` asks for the newest state only, at most one
// request in flight; a change while one is out is sent as soon as it returns (older states in
// between are skipped). No request is ever aborted, so the browser reports none as failed.
export function latestOnly(fetcher, show) {
  let inFlight = false;
  let pending = null;  // the newest state not yet sent
  let generation = 0;
  async function pump() {
    if (inFlight || pending === null) return;
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
  const run = (state) => {
    pending = { state, gen: ++generation };
    pump();
  };
  // Nothing to show any more: a request in flight is let finish, its answer not shown.
  run.cancel = () => {
    pending = null;
    ++generation;
  };
  return run;
}
