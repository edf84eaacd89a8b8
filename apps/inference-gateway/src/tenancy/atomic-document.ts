/**
 * Read-modify-write of one shared document with optimistic concurrency: read it, compute the
 * change, and write it with `updateIf(id, { rev })` (atomic on both DocumentStore adapters, FerretDB
 * included), retrying when another writer got there first. This is how every replica of the
 * gateway shares counters (rate-limit windows, budget reservations) without a lock server and
 * without overspending: a change is decided on the state it is applied to.
 *
 * Within one process, changes to the same document are grouped: while a write is in flight, the
 * changes that arrive queue up, and the next write applies all of them in arrival order (each
 * decided on the state the previous ones left) with one conditional update. Concurrent requests of
 * one tenant therefore cost one write per group instead of one each, and only one writer per
 * replica contends for a document (on a server that serialises conditional updates with a lock,
 * such as FerretDB v1, fifty contenders would otherwise starve each other).
 *
 * Each replica remembers the document as its last write left it, and the next group tries its
 * conditional update on that state without reading the document first: when no other replica
 * wrote in between (always, with one replica) that saves a read per write; when one did, the
 * revision no longer matches, nothing is written, and the group reads the document and decides
 * again, as before. A group that would only refuse is never decided on the remembered state: it
 * reads the document first, so a refusal is always decided on what the store holds. A remembered
 * state is used for `rememberMs` only: a revision can repeat only if the document was deleted (it
 * expired) and created again, which no live window or budget period does within seconds of a write.
 */
import { type Collection, DuplicateKeyError, type StoredDocument } from '@keel/doc-store';
import { unavailable } from '@keel/platform';

export interface Versioned extends StoredDocument {
  rev: number;
}

const maxAttempts = 200;

interface Pending<T extends Versioned> {
  initial: () => Omit<T, 'id' | 'rev'>;
  change: (current: T) => Partial<T> | null;
  resolve: (outcome: { document: T; applied: boolean }) => void;
  reject: (error: unknown) => void;
}

interface Queue<T extends Versioned> {
  pending: Pending<T>[];
  running: boolean;
}

const queues = new WeakMap<object, Map<string, Queue<Versioned>>>();

/** The documents as this replica's last write left them, per collection (the most recent ids). */
const known = new WeakMap<object, Map<string, Remembered>>();
const knownPerCollection = 4096;
const rememberMs = 10_000;

interface Remembered {
  document: Versioned;
  at: number;
}

function knownOf(collection: object): Map<string, Remembered> {
  let byId = known.get(collection);
  if (!byId) {
    byId = new Map();
    known.set(collection, byId);
  }
  return byId;
}

function remember(byId: Map<string, Remembered>, document: Versioned): void {
  byId.delete(document.id);
  byId.set(document.id, { document, at: Date.now() });
  if (byId.size > knownPerCollection) byId.delete(byId.keys().next().value as string);
}

/**
 * Applies `change` to the document `id` (created from `initial` when missing). `change` returns
 * the fields to set, or `null` to refuse (nothing is written for it). Returns the document as this
 * change left it (or as it stood when refused) and whether the change was applied.
 */
export function changeAtomically<T extends Versioned>(
  collection: Collection<T>,
  id: string,
  initial: () => Omit<T, 'id' | 'rev'>,
  change: (current: T) => Partial<T> | null,
): Promise<{ document: T; applied: boolean }> {
  let byId = queues.get(collection);
  if (!byId) {
    byId = new Map();
    queues.set(collection, byId);
  }
  let queue = byId.get(id) as Queue<T> | undefined;
  if (!queue) {
    queue = { pending: [], running: false };
    byId.set(id, queue as unknown as Queue<Versioned>);
  }
  const entry = queue;
  const map = byId;
  return new Promise((resolve, reject) => {
    entry.pending.push({ initial, change, resolve, reject });
    if (!entry.running) void drain(collection, id, entry, map);
  });
}

async function drain<T extends Versioned>(
  collection: Collection<T>,
  id: string,
  queue: Queue<T>,
  byId: Map<string, Queue<Versioned>>,
): Promise<void> {
  queue.running = true;
  while (queue.pending.length > 0) {
    const group = queue.pending.splice(0, queue.pending.length);
    try {
      const outcomes = await applyGroup(collection, id, group);
      group.forEach((pending, index) => {
        pending.resolve(outcomes[index] as { document: T; applied: boolean });
      });
    } catch (error) {
      for (const pending of group) pending.reject(error);
    }
  }
  queue.running = false;
  if (byId.get(id) === (queue as unknown as Queue<Versioned>)) byId.delete(id);
}

async function applyGroup<T extends Versioned>(
  collection: Collection<T>,
  id: string,
  group: Pending<T>[],
): Promise<{ document: T; applied: boolean }[]> {
  // Every change of a document shares its initial state (the id names the scope and period).
  const initial = (group[0] as Pending<T>).initial;
  const remembered = knownOf(collection);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const entry = remembered.get(id);
    const cached = entry && Date.now() - entry.at < rememberMs ? (entry.document as T) : undefined;
    let current = cached ?? (await collection.get(id));
    if (!current) {
      const fresh = { ...initial(), id, rev: 0 } as T;
      try {
        await collection.insert(fresh);
      } catch (error) {
        // Another writer created it first: read theirs.
        if (!(error instanceof DuplicateKeyError)) throw error;
        continue;
      }
      current = fresh;
    }
    // Each change is decided on the state the ones before it in the group left.
    let state = current;
    const changes: Partial<T> = {};
    const outcomes = group.map(({ change }) => {
      const next = change(state);
      if (next === null) return { document: state, applied: false };
      Object.assign(changes, next);
      state = { ...state, ...next };
      return { document: state, applied: true };
    });
    if (Object.keys(changes).length === 0) {
      if (!cached) return outcomes;
      // Refusals are decided on what the store holds, never on a remembered state.
      remembered.delete(id);
      continue;
    }
    const written = await collection.updateIf(id, { rev: current.rev }, {
      ...changes,
      rev: current.rev + 1,
    } as Partial<T>);
    if (written) {
      remember(remembered, written);
      return outcomes.map((outcome) =>
        outcome.applied ? { ...outcome, document: { ...outcome.document, rev: written.rev } } : outcome,
      );
    }
    remembered.delete(id);
    // The remembered state was stale (another replica wrote, or the document expired): read it.
    if (cached) continue;
    // Lost the race to another replica: a short random pause spreads the retries.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 20)));
  }
  throw unavailable('usage store', `too much contention on ${collection.name}/${id}`);
}
