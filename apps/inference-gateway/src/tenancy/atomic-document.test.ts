import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { describe, expect, it } from 'vitest';
import { changeAtomically, type Versioned } from './atomic-document.js';

interface Counter extends Versioned {
  n: number;
}

describe('changeAtomically', () => {
  it('groups concurrent changes into few writes, deciding each on the state the previous ones left', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const counters = await store.collection<Counter>('counters');
    let writes = 0;
    const updateIf = counters.updateIf.bind(counters);
    counters.updateIf = (...args) => {
      writes++;
      return updateIf(...args);
    };
    // Twenty increments capped at 12: exactly twelve apply, and each sees the count before it.
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        changeAtomically(
          counters,
          'c',
          () => ({ n: 0 }),
          (current) => (current.n >= 12 ? null : { n: current.n + 1 }),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.applied)).toHaveLength(12);
    expect(outcomes.filter((outcome) => outcome.applied).map((outcome) => outcome.document.n)).toEqual(
      Array.from({ length: 12 }, (_, index) => index + 1),
    );
    expect((await counters.get('c'))?.n).toBe(12);
    expect(writes).toBeLessThan(12);
    await store.close();
  });

  it('retries on a revision another writer moved, and fails the whole group on a store error', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const counters = await store.collection<Counter>('counters');
    await counters.insert({ id: 'c', rev: 0, n: 0 });
    const updateIf = counters.updateIf.bind(counters);
    let first = true;
    counters.updateIf = async (...args) => {
      if (first) {
        first = false;
        // Another replica writes in between the read and the conditional update.
        await updateIf('c', { rev: 0 }, { rev: 1, n: 100 });
      }
      return updateIf(...args);
    };
    const outcome = await changeAtomically(
      counters,
      'c',
      () => ({ n: 0 }),
      (current) => ({ n: current.n + 1 }),
    );
    expect(outcome).toMatchObject({ applied: true, document: { n: 101 } });
    counters.updateIf = () => Promise.reject(new Error('disk full'));
    await expect(
      changeAtomically(
        counters,
        'c',
        () => ({ n: 0 }),
        (current) => ({ n: current.n + 1 }),
      ),
    ).rejects.toThrow('disk full');
    await store.close();
  });
  it('writes from the state it last wrote without reading it again, and reads when another replica moved it', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const counters = await store.collection<Counter>('counters');
    let reads = 0;
    const get = counters.get.bind(counters);
    counters.get = (...args) => {
      reads++;
      return get(...args);
    };
    const increment = () =>
      changeAtomically(
        counters,
        'c',
        () => ({ n: 0 }),
        (current) => ({ n: current.n + 1 }),
      );
    await increment();
    const readsAfterFirst = reads;
    await increment();
    await increment();
    expect(reads).toBe(readsAfterFirst);
    expect((await get('c'))?.n).toBe(3);
    // Another replica (a second store on the same data would do the same) writes behind its back.
    const stored = await get('c');
    await counters.updateIf('c', { rev: stored?.rev }, { rev: (stored?.rev ?? 0) + 1, n: 100 });
    const outcome = await increment();
    expect(outcome).toMatchObject({ applied: true, document: { n: 101 } });
    expect((await get('c'))?.n).toBe(101);
    await store.close();
  });

  it('decides a refusal on the stored state, never on the remembered one', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const counters = await store.collection<Counter>('counters');
    const capped = () =>
      changeAtomically(
        counters,
        'c',
        () => ({ n: 0 }),
        (current) => (current.n >= 2 ? null : { n: current.n + 1 }),
      );
    await capped();
    await capped();
    expect((await capped()).applied).toBe(false);
    // Another replica lowers the count: the next change must see it, though this one remembers n = 2.
    const stored = await counters.get('c');
    await counters.updateIf('c', { rev: stored?.rev }, { rev: (stored?.rev ?? 0) + 1, n: 0 });
    const outcome = await capped();
    expect(outcome).toMatchObject({ applied: true, document: { n: 1 } });
    await store.close();
  });
});
