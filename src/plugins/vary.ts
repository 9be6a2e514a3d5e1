/** Adds to Vary rather than replacing it: CORS's `Vary: Origin` must survive, or a shared cache
 * could hand one origin's Access-Control-Allow-Origin answer to another. */
export function addVary(current: unknown, add: string[]): string {
  const have = String(current ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of add) if (!have.some((h) => h.toLowerCase() === a.toLowerCase())) have.push(a);
  return have.join(', ');
}
