/** How deeply JSON text nests objects and arrays (a scan; strings skipped with indexOf, so mostly-string bodies go fast). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // The string ends at the next quote not escaped by an odd run of backslashes.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end === -1) return max;
        let j = end - 1;
        while (text.charCodeAt(j) === 92) j--;
        if (((end - 1 - j) & 1) === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end;
    } else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}
