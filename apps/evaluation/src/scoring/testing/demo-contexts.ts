/** A few passages of the demo corpus (Northwind robots), for the online metrics' accuracy tests. */
export const warrantyContext = {
  chunkId: 'warranty#0',
  text: `Every Northwind robot carries a two-year limited warranty that covers defects in materials and
workmanship. Batteries are covered for 18 months or 500 charge cycles, whichever comes first.
The warranty does not cover damage from water, drops, or repairs by unauthorised service centres.`,
};
export const returnsContext = {
  chunkId: 'returns#0',
  text: `Customers can return any Northwind robot vacuum, lawn robot or accessory within 30 days of delivery.
The product must come back with its charging dock and all accessories. Opened consumables such as
filters and brushes cannot be returned unless they are defective.`,
};
export const wifiContext = {
  chunkId: 'setup#1',
  text: `Install the Northwind app, create an account and add the robot by scanning the QR code under the lid.
The robot needs a 2.4 GHz Wi-Fi network; 5 GHz networks are not supported.`,
};
export const refundsContext = {
  chunkId: 'returns#1',
  text: `Refunds are issued to the original payment method within 5 business days after the warehouse
receives the return. Shipping costs are refunded only when the product arrived damaged or defective.`,
};
