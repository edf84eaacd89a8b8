import { describe, expect, it } from 'vitest';
import { compileTopics } from './topic-matcher.js';

const match = compileTopics([
  { name: 'weapons', phrases: ['build a bomb', 'bomb', 'Pipe Bomb', 'arms'] },
  { name: 'legal', phrases: ['lawsuit', 'sue (someone)'] },
  { name: 'empty', phrases: ['  '] },
]);

describe('compileTopics', () => {
  it('matches case-insensitively, longest phrase first, with original offsets', () => {
    const text = 'How do I BUILD  a\nbomb?';
    expect(match(text)).toEqual([{ topic: 'weapons', phrase: 'build a bomb', start: 9, end: 22 }]);
    expect(text.slice(9, 22)).toBe('BUILD  a\nbomb');
  });

  it('reports the configured spelling of the phrase', () => {
    expect(match('a pipe bomb')).toEqual([{ topic: 'weapons', phrase: 'Pipe Bomb', start: 2, end: 11 }]);
  });

  it('only matches whole words', () => {
    expect(match('The farms bombard the firearms dealer with lawsuits.')).toEqual([]);
    expect(match('bomb-making')).toEqual([{ topic: 'weapons', phrase: 'bomb', start: 0, end: 4 }]);
  });

  it('matches phrases with regex syntax literally', () => {
    expect(match('they may sue (someone) soon').map((m) => m.topic)).toEqual(['legal']);
    expect(match('they may sue someone soon')).toEqual([]);
  });

  it('sees through full-width letters and zero-width spaces', () => {
    expect(match('ｂｏｍｂ and bo\u200bmb').map((m) => m.phrase)).toEqual(['bomb', 'bomb']);
  });

  it('matches every topic, in text order', () => {
    expect(match('A lawsuit about arms.').map((m) => m.topic)).toEqual(['legal', 'weapons']);
  });

  it('matches nothing without phrases', () => {
    expect(compileTopics([])('bomb')).toEqual([]);
  });
});
