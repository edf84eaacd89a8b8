/**
 * The quality check: hand-written (question, answer, contexts) cases. Grounded answers (quotes,
 * light paraphrases, declines) must score >= 0.9; fabricated ones (invented numbers, facts from
 * nowhere, negated or contradicted statements, answers about other topics) must score <= 0.3.
 */
import { describe, expect, it } from 'vitest';
import { scoreAnswer } from './score-answer.js';

const warranty = {
  chunkId: 'warranty#0',
  text: `Every Northwind robot carries a two-year limited warranty that covers defects in materials and
workmanship. Batteries are covered for 18 months or 500 charge cycles, whichever comes first.
The warranty does not cover damage from water, drops, or repairs by unauthorised service centres.`,
};
const claimSteps = {
  chunkId: 'warranty#1',
  text: `To make a warranty claim, customers open a ticket in the support portal with the serial number,
which is printed under the dust bin. A technician answers within one business day and either
ships replacement parts or arranges a free pickup for repair.`,
};
const extended = {
  chunkId: 'warranty#2',
  text: `Northwind Care extends the warranty to four years and adds accidental damage cover. It can be
bought within 60 days of purchase and costs 49 euros for vacuums and 89 euros for lawn robots.`,
};
const returns = {
  chunkId: 'returns#0',
  text: `Customers can return any Northwind robot vacuum, lawn robot or accessory within 30 days of delivery.
The product must come back with its charging dock and all accessories. Opened consumables such as
filters and brushes cannot be returned unless they are defective.`,
};
const refunds = {
  chunkId: 'returns#1',
  text: `Refunds are issued to the original payment method within 5 business days after the warehouse
receives the return. Shipping costs are refunded only when the product arrived damaged or defective.
Business customers on an invoice account receive a credit note instead of a refund.`,
};
const setup = {
  chunkId: 'setup#0',
  text: `Place the charging dock against a wall on a hard floor, with half a metre of free space on each side
and one and a half metres in front. Plug in the dock and put the robot on it; the light ring turns
blue when charging starts. A full charge takes about four hours.`,
};
const wifi = {
  chunkId: 'setup#1',
  text: `Install the Northwind app, create an account and add the robot by scanning the QR code under the lid.
The robot needs a 2.4 GHz Wi-Fi network; 5 GHz networks are not supported.`,
};
const security = {
  chunkId: 'security#0',
  text: `The Northwind app stores floor maps, cleaning schedules and device logs. Floor maps are encrypted at
rest with AES-256 and never leave the customer's region. Device logs are deleted after 90 days.`,
};

const contexts = [warranty, claimSteps, extended, returns, refunds, setup, wifi, security];

interface Case {
  name: string;
  question: string;
  answer: string;
}

const grounded: Case[] = [
  {
    name: 'verbatim extractive quotes with markers',
    question: 'How long is the battery covered?',
    answer:
      'Batteries are covered for 18 months or 500 charge cycles, whichever comes first [1]. Every Northwind robot carries a two-year limited warranty that covers defects in materials and workmanship [1].',
  },
  {
    name: 'light paraphrase of one chunk',
    question: 'How do I make a warranty claim?',
    answer:
      'To make a warranty claim, open a ticket in the support portal with the serial number [2]. The serial number is printed under the dust bin [2]. A technician answers within one business day [2].',
  },
  {
    name: 'digits for number words and reordered clauses',
    question: 'What does Northwind Care cost?',
    answer:
      'Northwind Care costs 49 euros for vacuums and 89 euros for lawn robots [3]. It extends the warranty to 4 years and adds accidental damage cover [3].',
  },
  {
    name: 'a negative statement that the source makes',
    question: 'Can I return opened filters?',
    answer: 'Opened consumables such as filters and brushes cannot be returned unless they are defective [4].',
  },
  {
    name: 'facts from two different chunks in two sentences',
    question: 'How do refunds and returns work?',
    answer: `Customers can return a robot vacuum within 30 days of delivery [4].
Refunds are issued to the original payment method within 5 business days after the warehouse receives the return [5].`,
  },
  {
    name: 'a bulleted answer',
    question: 'What does the robot need for setup?',
    answer: `- The robot needs a 2.4 GHz Wi-Fi network [7].
- 5 GHz networks are not supported [7].
- A full charge takes about four hours [6].`,
  },
  {
    name: 'a decline without citations',
    question: 'What is the price of the robot?',
    answer: 'I could not find this in the provided documents.',
  },
  {
    name: 'quotes with the marker after the full stop',
    question: 'How long are device logs kept?',
    answer: 'Device logs are deleted after 90 days. [8] Floor maps are encrypted at rest with AES-256. [8]',
  },
];

const fabricated: Case[] = [
  {
    name: 'invented numbers in the right vocabulary',
    question: 'How long is the warranty?',
    answer:
      'Every Northwind robot carries a five-year warranty [1]. Batteries are covered for 36 months or 2000 charge cycles [1].',
  },
  {
    name: 'facts from nowhere',
    question: 'Who founded Northwind?',
    answer:
      'Northwind was founded in Oslo by Maria Jensen. The company employs about 1200 engineers and went public on the Nasdaq exchange.',
  },
  {
    name: 'contradicting the source by negation',
    question: 'Are 5 GHz networks supported?',
    answer: 'The robot does not need Wi-Fi. Opened filters can always be returned without any condition.',
  },
  {
    name: 'an answer about another topic',
    question: 'How do I reset the robot?',
    answer:
      'Hold the power button for ten seconds until the display flashes red. Then reconnect the mobile phone over Bluetooth pairing mode.',
  },
  {
    name: 'cited but unsupported medical-style claims',
    question: 'Is the robot safe for pets?',
    answer:
      'The vacuum is certified safe for cats and dogs by veterinary associations [2]. Its suction automatically pauses when an animal approaches [3].',
  },
  {
    name: 'wrong amounts and periods',
    question: 'What are the refund terms?',
    answer:
      'Refunds are issued within 14 business days [5]. Customers can return products within 90 days of delivery [4]. Northwind Care costs 99 euros [3].',
  },
  {
    name: 'a decline that nevertheless cites a source',
    question: 'What does the robot cost?',
    answer: 'I could not find this in the provided documents [1].',
  },
];

describe('groundedness quality check', () => {
  it.each(grounded)('grounded: $name scores >= 0.9', ({ answer }) => {
    const scores = scoreAnswer({ answer, contexts });
    expect(scores.groundedness, JSON.stringify(scores.verdicts, null, 2)).toBeGreaterThanOrEqual(0.9);
  });

  it.each(fabricated)('fabricated: $name scores <= 0.3', ({ answer }) => {
    const scores = scoreAnswer({ answer, contexts });
    expect(scores.groundedness, JSON.stringify(scores.verdicts, null, 2)).toBeLessThanOrEqual(0.3);
  });

  it('separates the two sets by a wide margin on average', () => {
    const mean = (cases: Case[]) =>
      cases.reduce((sum, { answer }) => sum + scoreAnswer({ answer, contexts }).groundedness, 0) / cases.length;
    expect(mean(grounded) - mean(fabricated)).toBeGreaterThan(0.8);
  });
});
