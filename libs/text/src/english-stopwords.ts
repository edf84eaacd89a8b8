/**
 * English stopwords for keyword search: function words, pronouns, auxiliaries and the
 * fragments the word splitter leaves from contractions (`don't` → `don`, `t`). Content words
 * that sometimes carry meaning in queries (`not`, `no`, numbers) are kept out of the list on
 * purpose: removing them would make "no fuel" and "fuel" the same query.
 */
export const englishStopwords: ReadonlySet<string> = new Set(
  `
  a about above after again against all also am an and any are as at be because been before being
  below between both but by can could d did do does doing don down during each either etc few for from
  further had has have having he her here hers herself him himself his how i if in into is it its
  itself just ll m may me might more most must my myself of off on once only or other our ours
  ourselves out over own re s same shall she should so some such t than that the their theirs them
  themselves then there these they this those through to too under until up upon us ve very was we
  were what when where whether which while who whom whose why will with would you your yours yourself
  yourselves
  `
    .trim()
    .split(/\s+/),
);
