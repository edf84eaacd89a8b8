/**
 * Issuer identification number (IIN) ranges of the card networks, with the lengths each
 * issues. A Luhn-valid digit run is a card only if it also starts like one: a tenth of all
 * random digit strings pass Luhn, far fewer also fall in an issued range at a matching length.
 * Sources: the networks' published IIN tables as summarised by ISO/IEC 7812 registries.
 */

export interface CardNetwork {
  name: string;
  /** Inclusive prefix ranges, compared on the first `from.length` digits. */
  ranges: readonly { from: string; to: string }[];
  lengths: readonly number[];
}

const range = (from: string, to: string = from) => ({ from, to });

export const cardNetworks: readonly CardNetwork[] = [
  { name: 'visa', ranges: [range('4')], lengths: [13, 16, 19] },
  { name: 'mastercard', ranges: [range('51', '55'), range('2221', '2720')], lengths: [16] },
  { name: 'amex', ranges: [range('34'), range('37')], lengths: [15] },
  {
    name: 'discover',
    ranges: [range('6011'), range('644', '649'), range('65'), range('622126', '622925')],
    lengths: [16, 17, 18, 19],
  },
  { name: 'jcb', ranges: [range('3528', '3589')], lengths: [16, 17, 18, 19] },
  // JCB's legacy 15-digit numbers.
  { name: 'jcb', ranges: [range('1800'), range('2131')], lengths: [15] },
  {
    name: 'diners',
    ranges: [range('300', '305'), range('3095'), range('36'), range('38', '39')],
    lengths: [14, 15, 16, 17, 18, 19],
  },
  { name: 'unionpay', ranges: [range('62')], lengths: [16, 17, 18, 19] },
  // Maestro issues 12 to 19 digits in 50 and 56-69 (the published ranges 5018, 5020, 5038,
  // 5893, 6304, 6759, 6761-6763... all lie there; more specific networks above match first).
  { name: 'maestro', ranges: [range('50'), range('56', '69')], lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
  { name: 'mir', ranges: [range('2200', '2204')], lengths: [16, 17, 18, 19] },
];

/** The network whose ranges and lengths fit `digits`, or undefined. */
export function cardNetworkOf(digits: string): CardNetwork | undefined {
  return cardNetworks.find(
    (network) =>
      network.lengths.includes(digits.length) &&
      network.ranges.some(({ from, to }) => {
        const prefix = digits.slice(0, from.length);
        return prefix >= from && prefix <= to;
      }),
  );
}
