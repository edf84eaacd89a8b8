import { describe, expect, it } from 'vitest';
import { detectPersons } from './person-detector.js';

function names(text: string): string[] {
  return detectPersons(text).map((finding) => text.slice(finding.start, finding.end));
}

describe('detectPersons', () => {
  it('finds a known first name with the family name after it, with exact offsets', () => {
    const text = 'Yesterday Maria Lindqvist sent the form.';
    expect(detectPersons(text)).toEqual([
      { type: 'pii.person', start: 10, end: 25, ruleId: 'pii.person.name-list', confidence: 0.7 },
    ]);
  });

  it('takes middle initials, honorifics and a known family name after an unknown first name', () => {
    expect(names('Please ask Jaroslava P. Sedláčková.')).toEqual(['Jaroslava P. Sedláčková']);
    expect(names('The report by Dr. Okafor is late.')).toEqual(['Dr. Okafor']);
    expect(names('Send it to Csanád P Gere today.')).toEqual(['Csanád P Gere']);
    expect(names('She met Wiremu Anderson there.')).toEqual(['Wiremu Anderson']);
  });

  it('finds a name introduced as one, even in lower case', () => {
    expect(names('hi, my name is borna jerković but everyone calls me Bo')).toEqual(['borna jerković', 'Bo']);
    expect(names('her maiden name is nyberg.')).toEqual(['nyberg']);
    expect(names("i'm not sure, i am moving next week")).toEqual([]);
  });

  it('finds two capitalised words no dictionary knows, but not after a place preposition', () => {
    expect(names('Follow up with Satsita Umkhayev in a couple of days.')).toEqual(['Satsita Umkhayev']);
    expect(names('We flew in to Kuala Lumpur on Monday.')).toEqual([]);
  });

  it('ends a name before a possessive', () => {
    expect(names("Here's Maria's address.")).toEqual(['Maria']);
  });

  it('leaves out places and organisations named after people', () => {
    expect(names('Turn into Gordon Terrace, then Miller Ltd on the left.')).toEqual([]);
    expect(names('She lives at 1234 Elisabeth Parks, Springfield.')).toEqual([]);
    expect(names('The Davis Orchestra plays tonight.')).toEqual([]);
  });

  it('finds nothing in ordinary sentences and acronyms', () => {
    expect(names('The warranty on batteries covers two years from the date of purchase.')).toEqual([]);
    expect(names('Personal Info: see the Mission Statement. NASA and the EU agreed.')).toEqual([]);
  });
});
