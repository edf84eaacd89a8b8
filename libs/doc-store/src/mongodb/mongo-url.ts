/**
 * The part of a MongoDB connection string that is safe to print: scheme and hosts, without
 * credentials, database, or options (which may hold secrets such as `authMechanismProperties`).
 * Regex-based because multi-host URLs (`mongodb://a:1,b:2/`) are not WHATWG URLs.
 */
export function redactMongoUrl(url: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/?#]*@)?([^/?#]*)/i.exec(url.trim());
  if (!match) return '<invalid MongoDB URL>';
  const [, scheme, hosts] = match;
  return `${scheme?.toLowerCase()}${hosts}`;
}
