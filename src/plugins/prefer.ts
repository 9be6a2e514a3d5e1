// RFC 7240 `Prefer` as far as this API honours it: `return=minimal` on batch writes. Several
// preferences may share a header (or come as several headers, which Node joins with ", "),
// each `token[=value]` with optional `;`-parameters; names are case-insensitive, and a value
// may be a quoted string (RFC 9110 section 5.6.4), which may hold commas, semicolons and
// backslash escapes. Unknown preferences are ignored, as the RFC asks. (The one npm parser
// for this, parse-prefer-header 1.0.0, has not been released since 2015; this is the whole
// grammar the service needs.)

/** The header's preferences, each as its name and value (parameters dropped), in order. */
function preferences(header: string): { name: string; value: string | null }[] {
  const out: { name: string; value: string | null }[] = [];
  let name = '';
  let value: string | null = null;
  let inParams = false; // after a ';', until the next ',' outside quotes
  let i = 0;
  const flush = () => {
    if (name.trim()) out.push({ name: name.trim().toLowerCase(), value: value === null ? null : value.trim() });
    name = '';
    value = null;
    inParams = false;
  };
  while (i < header.length) {
    const c = header[i];
    if (c === '"') {
      // A quoted string: up to the closing quote, `\x` standing for x.
      let s = '';
      for (i++; i < header.length && header[i] !== '"'; i++) s += header[i] === '\\' && i + 1 < header.length ? header[++i] : header[i];
      i++;
      if (!inParams && value !== null) value += s;
      else if (!inParams) name += s;
      continue;
    }
    if (c === ',') flush();
    else if (c === ';') inParams = true;
    else if (!inParams) {
      if (c === '=' && value === null) value = '';
      else if (value !== null) value += c;
      else name += c;
    }
    i++;
  }
  flush();
  return out;
}

/** Whether the request asks for `return=minimal` (an answer without the representation). */
export function prefersMinimal(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  // The first `return` decides (RFC 7240 section 2); its value is matched case-insensitively, leniently.
  const first = preferences(Array.isArray(header) ? header.join(',') : header).find((p) => p.name === 'return');
  return first?.value?.toLowerCase() === 'minimal';
}

/** The response header that says the preference was applied (RFC 7240 section 3). */
export const MINIMAL_APPLIED = { 'preference-applied': 'return=minimal' } as const;
