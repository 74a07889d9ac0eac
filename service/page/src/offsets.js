// The service counts positions in UTF-8 bytes (diagnostic spans, completion starts); the
// editor counts UTF-16 code units. These convert between the two over one text.
const enc = new TextEncoder();

export function charToByte(text, pos) {
  return enc.encode(text.slice(0, pos)).length;
}

export function byteToChar(text, byte) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    if (bytes >= byte) return i;
    const c = text.codePointAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (c >= 0x10000) i++;  // the low surrogate of a pair
  }
  return text.length;
}
