// What the local FerretDB (v1, SQLite backend) does and does not do, checked with
// the official mongodb driver. Every step asserts the behaviour real MongoDB has,
// so FAIL means "differs from MongoDB" (not implemented, other error code, or a
// silently wrong answer). The summary in ../README.md comes from this script.
//   tools/infra/infra.sh start && node tools/infra/compat/ferretdb-capabilities.mjs
// Set FERRETDB_TTL_WAIT_S=70 to also wait for a TTL monitor pass (off by default
// because FerretDB v1 rejects TTL indexes outright).
// Always exits 0: it is a report, not a gate.
import { Decimal128, Long, MongoClient, ObjectId } from 'mongodb';

const url = process.env.MONGODB_URL || 'mongodb://127.0.0.1:27017/';
const results = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function assertEqual(actual, expected) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
  return actual;
}

async function step(name, fn) {
  try {
    const r = await fn();
    results.push([name, 'OK', r === undefined ? '' : JSON.stringify(r).slice(0, 120)]);
  } catch (e) {
    const code = e.code === undefined ? '' : ` code=${e.code}`;
    results.push([name, 'FAIL', `${e.name}${code}: ${e.message}`.slice(0, 200)]);
  }
}

async function expectDuplicateKey(fn) {
  try {
    await fn();
  } catch (e) {
    if (e.code === 11000) return 'E11000';
    throw e;
  }
  throw new Error('write was accepted');
}

const client = new MongoClient(url, {
  serverSelectionTimeoutMS: 5000,
  writeConcern: { w: 'majority' },
  readConcern: { level: 'majority' },
});
await client.connect();
const db = client.db(`capabilities_${Date.now()}`);
const items = db.collection('items');

// --- server
await step('ping', () =>
  db
    .admin()
    .command({ ping: 1 })
    .then((r) => r.ok),
);
await step('buildInfo / hello', async () => {
  const b = await db.admin().command({ buildInfo: 1 });
  const h = await db.admin().command({ hello: 1 });
  return { version: b.version, maxWireVersion: h.maxWireVersion, replicaSet: h.setName ?? null };
});

// --- writes and queries
await step('insertMany (w:majority accepted)', () =>
  items
    .insertMany(
      Array.from({ length: 20 }, (_, i) => ({
        _id: `id${i}`,
        n: i,
        tag: i % 3 === 0 ? 'a' : 'b',
        nested: { v: i },
        arr: [i, i + 1],
        at: new Date(Date.now() - i * 1000),
      })),
    )
    .then((r) => assertEqual(r.insertedCount, 20)),
);
await step('insertOne generates ObjectId', () =>
  db
    .collection('misc')
    .insertOne({ n: 1 })
    .then((r) => r.insertedId instanceof ObjectId),
);
await step('$lt on numbers', () =>
  items
    .find({ n: { $lt: 5 } })
    .sort({ n: 1 })
    .toArray()
    .then((r) =>
      assertEqual(
        r.map((d) => d.n),
        [0, 1, 2, 3, 4],
      ),
    ),
);
await step('$lt across int32/double/int64', async () => {
  const m = db.collection('mixed');
  await m.insertMany([{ n: 1 }, { n: 2.5 }, { n: Long.fromNumber(3) }, { n: 10 }]);
  return assertEqual(await m.countDocuments({ n: { $lt: Long.fromNumber(4) } }), 3);
});
await step('$gte + $lte range', () => items.countDocuments({ n: { $gte: 5, $lte: 9 } }).then((c) => assertEqual(c, 5)));
await step('$in (strings, numbers, empty)', async () => [
  assertEqual(await items.countDocuments({ _id: { $in: ['id1', 'id3', 'nope'] } }), 2),
  assertEqual(await items.countDocuments({ n: { $in: [1, 2, 99] } }), 2),
  assertEqual(await items.countDocuments({ n: { $in: [] } }), 0),
]);
await step('$or', () =>
  items
    .find({ $or: [{ n: 1 }, { tag: 'a', n: { $gt: 15 } }] })
    .sort({ n: 1 })
    .toArray()
    .then((r) =>
      assertEqual(
        r.map((d) => d.n),
        [1, 18],
      ),
    ),
);
await step('$and + nested $or', () =>
  items.countDocuments({ $and: [{ $or: [{ n: 1 }, { n: 2 }] }, { n: { $gt: 1 } }] }).then((c) => assertEqual(c, 1)),
);
await step('$nin / $ne / $exists / $not / $type', async () => [
  assertEqual(await items.countDocuments({ n: { $nin: [1, 2] }, tag: { $ne: 'x' }, nested: { $exists: true } }), 18),
  assertEqual(await items.countDocuments({ n: { $not: { $gt: 2 } } }), 3),
  assertEqual(await items.countDocuments({ n: { $type: 'number' } }), 20),
]);
await step('dotted path / array element / $elemMatch / $size / $regex', async () => [
  assertEqual(await items.countDocuments({ 'nested.v': { $gt: 10 } }), 9),
  assertEqual(await items.countDocuments({ arr: 5 }), 2),
  assertEqual(await items.countDocuments({ arr: { $elemMatch: { $gt: 18 } } }), 2),
  assertEqual(await items.countDocuments({ arr: { $size: 2 } }), 20),
  assertEqual(await items.countDocuments({ _id: { $regex: '^id1' } }), 11),
]);
await step('$expr', () => items.countDocuments({ $expr: { $gt: ['$n', 17] } }).then((c) => assertEqual(c, 2)));
await step('sort desc + limit', () =>
  items
    .find({})
    .sort({ n: -1 })
    .limit(3)
    .toArray()
    .then((r) =>
      assertEqual(
        r.map((d) => d.n),
        [19, 18, 17],
      ),
    ),
);
await step('sort + skip + limit', () =>
  items
    .find({ tag: 'b' })
    .sort({ n: 1 })
    .skip(2)
    .limit(3)
    .toArray()
    .then((r) =>
      assertEqual(
        r.map((d) => d.n),
        [4, 5, 7],
      ),
    ),
);
await step('compound sort / sort on Date', async () => [
  assertEqual(
    (await items.find({}).sort({ tag: 1, n: -1 }).limit(2).toArray()).map((d) => d.n),
    [18, 15],
  ),
  assertEqual(
    (await items.find({}).sort({ at: 1 }).limit(1).toArray()).map((d) => d.n),
    [19],
  ),
]);
await step('projection', () =>
  items.findOne({ _id: 'id2' }, { projection: { n: 1, _id: 0 } }).then((d) => assertEqual(d, { n: 2 })),
);
await step('getMore (batchSize 3 over 20 docs)', async () => {
  let k = 0;
  for await (const _ of items.find({}).batchSize(3)) k++;
  return assertEqual(k, 20);
});
await step('hint / maxTimeMS / explain', async () => {
  await items.find({ n: 1 }).hint({ _id: 1 }).maxTimeMS(1000).toArray();
  return Object.keys(await items.find({ n: 1 }).explain()).includes('queryPlanner');
});
await step('collation', () =>
  items
    .find({ tag: 'A' })
    .collation({ locale: 'en', strength: 2 })
    .toArray()
    .then((r) => assertEqual(r.length, 7)),
);
await step('countDocuments(skip, limit) / estimatedDocumentCount / distinct', async () => [
  assertEqual(await items.countDocuments({}, { skip: 1, limit: 2 }), 2),
  assertEqual(await items.estimatedDocumentCount(), 20),
  assertEqual((await items.distinct('tag')).sort(), ['a', 'b']),
]);
await step('sort 2000 unindexed docs + limit (timing)', async () => {
  const big = db.collection('big');
  await big.insertMany(Array.from({ length: 2000 }, (_, i) => ({ i, r: (i * 7919) % 2000 })));
  const t = Date.now();
  const r = await big
    .find({ r: { $gte: 100 } })
    .sort({ r: -1 })
    .limit(5)
    .toArray();
  assertEqual(
    r.map((d) => d.r),
    [1999, 1998, 1997, 1996, 1995],
  );
  return `${Date.now() - t}ms`;
});

// --- updates
await step('findOneAndUpdate $inc/$set returnDocument:after', () =>
  items
    .findOneAndUpdate({ _id: 'id1' }, { $inc: { n: 100 }, $set: { tag: 'z' } }, { returnDocument: 'after' })
    .then((d) => assertEqual({ n: d.n, tag: d.tag }, { n: 101, tag: 'z' })),
);
await step('findOneAndUpdate upsert + $setOnInsert', () =>
  items
    .findOneAndUpdate(
      { _id: 'new1' },
      { $setOnInsert: { n: -1 }, $set: { tag: 'u' } },
      { upsert: true, returnDocument: 'after' },
    )
    .then((d) => assertEqual(d.n, -1)),
);
await step('findOneAndUpdate with sort', () =>
  items
    .findOneAndUpdate({ tag: 'b' }, { $set: { picked: true } }, { sort: { n: -1 }, returnDocument: 'before' })
    .then((d) => assertEqual(d.n, 19)),
);
await step('findOneAndUpdate includeResultMetadata', () =>
  items
    .findOneAndUpdate({ _id: 'id2' }, { $set: { x: 1 } }, { includeResultMetadata: true })
    .then((r) => assertEqual(r.lastErrorObject.updatedExisting, true)),
);
await step('findOneAndReplace / findOneAndDelete', async () => [
  assertEqual(
    (await items.findOneAndReplace({ _id: 'id3' }, { n: 3, tag: 'r' }, { returnDocument: 'after' })).tag,
    'r',
  ),
  assertEqual((await items.findOneAndDelete({ _id: 'id4' }))._id, 'id4'),
]);
await step('$push/$each, $addToSet, $unset, dotted $set', async () => {
  await items.updateOne(
    { _id: 'id5' },
    { $push: { arr: { $each: [7, 8, 9] } }, $addToSet: { s: 'x' }, $unset: { nested: '' } },
  );
  await items.updateOne({ _id: 'id5' }, { $set: { 'a.b.c': 1 } });
  const d = await items.findOne({ _id: 'id5' });
  return assertEqual([d.arr, d.s, d.nested, d.a], [[5, 6, 7, 8, 9], ['x'], undefined, { b: { c: 1 } }]);
});
await step('$pull / $pop / $pullAll', async () => {
  await items.updateOne({ _id: 'id5' }, { $pull: { arr: 9 } });
  await items.updateOne({ _id: 'id5' }, { $pop: { arr: -1 } });
  await items.updateOne({ _id: 'id5' }, { $pullAll: { arr: [6] } });
  return assertEqual((await items.findOne({ _id: 'id5' })).arr, [7, 8]);
});
for (const [modifier, value, expected] of [
  ['$slice', -2, [2, 3]],
  ['$position', 0, [3, 1, 2]],
  ['$sort', -1, [3, 2, 1]],
]) {
  await step(`$push with ${modifier}`, async () => {
    const p = db.collection('push');
    await p.replaceOne({ _id: modifier }, { arr: [1, 2] }, { upsert: true });
    await p.updateOne({ _id: modifier }, { $push: { arr: { $each: [3], [modifier]: value } } });
    return assertEqual((await p.findOne({ _id: modifier })).arr, expected);
  });
}
await step('$currentDate/$max/$mul/$rename/$inc Int64', async () => {
  await items.updateOne({ _id: 'id6' }, { $currentDate: { ts: true }, $max: { n: 60 }, $mul: { 'nested.v': 2 } });
  await items.updateOne({ _id: 'id6' }, { $rename: { tag: 'label' }, $inc: { big: Long.fromNumber(5) } });
  const d = await items.findOne({ _id: 'id6' });
  return assertEqual([d.n, d.nested.v, d.label, Number(d.big), d.ts instanceof Date], [60, 12, 'a', 5, true]);
});
await step('arrayFilters', () =>
  items
    .updateOne({ _id: 'id7' }, { $set: { 'arr.$[e]': 0 } }, { arrayFilters: [{ e: { $gt: 7 } }] })
    .then((r) => assertEqual(r.modifiedCount, 1)),
);
await step('positional $ update', () =>
  items.updateOne({ arr: 8 }, { $set: { 'arr.$': 99 } }).then((r) => assertEqual(r.modifiedCount, 1)),
);
await step('updateMany / replaceOne upsert / deleteMany', async () => [
  (await items.updateMany({ tag: 'a' }, { $set: { flag: true } })).modifiedCount,
  assertEqual((await items.replaceOne({ _id: 'r1' }, { n: 1000 }, { upsert: true })).upsertedCount, 1),
  assertEqual((await items.deleteMany({ n: { $gte: 1000 } })).deletedCount, 1),
]);
await step('bulkWrite ordered', () =>
  items
    .bulkWrite([
      { insertOne: { document: { _id: 'b1', n: 500 } } },
      { updateOne: { filter: { _id: 'b1' }, update: { $set: { n: 501 } } } },
      { deleteOne: { filter: { _id: 'b1' } } },
    ])
    .then((r) => assertEqual([r.insertedCount, r.modifiedCount, r.deletedCount], [1, 1, 1])),
);
await step('insertMany ordered:false with a duplicate _id', async () => {
  await items.insertOne({ _id: 'dup' });
  try {
    await items.insertMany([{ _id: 'dup' }, { _id: 'ok1' }], { ordered: false });
  } catch (e) {
    return assertEqual([e.code, e.insertedCount], [11000, 1]);
  }
  throw new Error('no error');
});
await step('Decimal128 value', () =>
  db
    .collection('misc')
    .insertOne({ price: Decimal128.fromString('1.10') })
    .then(() => 'stored'),
);

// --- indexes
const uniq = db.collection('uniq');
await step('unique index: duplicate insert', async () => {
  await uniq.createIndex({ email: 1 }, { unique: true });
  await uniq.insertOne({ email: 'a@x' });
  return expectDuplicateKey(() => uniq.insertOne({ email: 'a@x' }));
});
await step('unique index: duplicate via upsert', () =>
  expectDuplicateKey(() => uniq.updateOne({ other: 1 }, { $set: { email: 'a@x' } }, { upsert: true })),
);
await step('unique index: duplicate via updateOne', async () => {
  await uniq.insertOne({ email: 'b@x' });
  return expectDuplicateKey(() => uniq.updateOne({ email: 'b@x' }, { $set: { email: 'a@x' } }));
});
await step('unique index: duplicate via findOneAndUpdate', () =>
  expectDuplicateKey(() => uniq.findOneAndUpdate({ email: 'b@x' }, { $set: { email: 'a@x' } })),
);
await step('unique index: duplicate via replaceOne', () =>
  expectDuplicateKey(() => uniq.replaceOne({ email: 'b@x' }, { email: 'a@x' })),
);
await step('unique compound index', async () => {
  await uniq.createIndex({ tenant: 1, key: 1 }, { unique: true, name: 'tenant_key' });
  await uniq.insertOne({ tenant: 't', key: 'k', email: 'c@x' });
  return expectDuplicateKey(() => uniq.insertOne({ tenant: 't', key: 'k', email: 'd@x' }));
});
await step('unique index: 2nd doc missing the field is a duplicate (null)', async () => {
  const u = db.collection('uniq_missing');
  await u.createIndex({ e: 1 }, { unique: true });
  await u.insertOne({ a: 1 });
  return expectDuplicateKey(() => u.insertOne({ a: 2 }));
});
await step('unique index build over existing duplicates', async () => {
  const u = db.collection('uniq_existing');
  await u.insertMany([{ e: 1 }, { e: 1 }]);
  return expectDuplicateKey(() => u.createIndex({ e: 1 }, { unique: true }));
});
await step('unique sparse index', () => uniq.createIndex({ sp: 1 }, { unique: true, sparse: true }));
await step('unique index on nested field', async () => {
  const u = db.collection('uniq_nested');
  await u.createIndex({ 'a.b': 1 }, { unique: true });
  await u.insertOne({ a: { b: 1 } });
  return expectDuplicateKey(() => u.insertOne({ a: { b: 1 } }));
});
await step('partialFilterExpression index', () =>
  uniq.createIndex({ p: 1 }, { unique: true, partialFilterExpression: { p: { $exists: true } } }),
);
await step('text index', () => uniq.createIndex({ body: 'text' }));
await step('2dsphere index', () => uniq.createIndex({ loc: '2dsphere' }));
await step('hashed index', () => uniq.createIndex({ h: 'hashed' }));
await step('listIndexes / dropIndex', async () => {
  const names = (await uniq.listIndexes().toArray()).map((i) => i.name);
  await uniq.dropIndex('tenant_key');
  return names;
});
const ttl = db.collection('ttl');
await step('TTL index (createIndex expireAfterSeconds)', () => ttl.createIndex({ at: 1 }, { expireAfterSeconds: 1 }));
await step('collMod expireAfterSeconds', () =>
  db.command({ collMod: 'ttl', index: { keyPattern: { at: 1 }, expireAfterSeconds: 60 } }),
);
const ttlWait = Number(process.env.FERRETDB_TTL_WAIT_S || 0);
if (ttlWait > 0) {
  await step(`TTL: expired doc removed within ${ttlWait}s`, async () => {
    await ttl.insertOne({ at: new Date(Date.now() - 3600e3) });
    const start = Date.now();
    while (Date.now() - start < ttlWait * 1000) {
      if ((await ttl.countDocuments({})) === 0) return `after ${Math.round((Date.now() - start) / 1000)}s`;
      await sleep(5000);
    }
    throw new Error('document not expired');
  });
}

// --- aggregation
const g = db.collection('groups');
await g.insertMany([
  { t: 'a', n: 1 },
  { t: 'a', n: 2 },
  { t: 'b', n: 5 },
]);
const group = (acc) =>
  g
    .aggregate([{ $group: { _id: '$t', ...acc } }, { $sort: { _id: 1 } }])
    .toArray()
    .then((r) => r.map(({ _id, ...rest }) => rest));
await step('$match/$group($sum field)/$sort', () =>
  group({ s: { $sum: '$n' } }).then((r) => assertEqual(r, [{ s: 3 }, { s: 5 }])),
);
await step('$group $sum:1 / $count:{}', async () => [
  assertEqual(await group({ c: { $sum: 1 } }), [{ c: 2 }, { c: 1 }]),
  assertEqual(await group({ c: { $count: {} } }), [{ c: 2 }, { c: 1 }]),
]);
await step('$group with two accumulators', () =>
  group({ s: { $sum: '$n' }, c: { $sum: 1 } }).then((r) =>
    assertEqual(r, [
      { s: 3, c: 2 },
      { s: 5, c: 1 },
    ]),
  ),
);
for (const op of ['$avg', '$min', '$max', '$first', '$last', '$push', '$addToSet']) {
  await step(`$group ${op}`, () => group({ x: { [op]: '$n' } }));
}
await step('$unwind + $count', () =>
  items
    .aggregate([{ $unwind: '$arr' }, { $count: 'k' }])
    .toArray()
    .then((r) => r[0].k),
);
await step('$project inclusion / $set literal / $unset / $skip / $limit', () =>
  g
    .aggregate([
      { $sort: { n: 1 } },
      { $skip: 1 },
      { $limit: 1 },
      { $set: { z: 1 } },
      { $unset: 't' },
      { $project: { _id: 0 } },
    ])
    .toArray()
    .then((r) => assertEqual(r, [{ n: 2, z: 1 }])),
);
await step('$addFields with a field path ("$n")', () =>
  g
    .aggregate([{ $sort: { n: 1 } }, { $limit: 1 }, { $addFields: { z: '$n' } }])
    .toArray()
    .then((r) => assertEqual(r[0].z, 1)),
);
await step('$project computed ($multiply)', () =>
  g
    .aggregate([{ $project: { d: { $multiply: ['$n', 2] } } }])
    .toArray()
    .then((r) => r.length),
);
await step('$lookup', () =>
  g
    .aggregate([{ $limit: 1 }, { $lookup: { from: 'groups', localField: 't', foreignField: 't', as: 'same' } }])
    .toArray()
    .then((r) => r[0].same.length),
);
await step('$facet', () => g.aggregate([{ $facet: { a: [{ $limit: 1 }] } }]).toArray());
await step('$sortByCount', () => g.aggregate([{ $sortByCount: '$t' }]).toArray());

// --- sessions, transactions, change streams, collections
await step('transaction (session.withTransaction)', async () => {
  const s = client.startSession();
  try {
    await s.withTransaction(async () => {
      await items.insertOne({ _id: 'tx1' }, { session: s });
    });
    return 'committed';
  } finally {
    await s.endSession();
  }
});
await step('change stream (collection.watch)', async () => {
  const cs = items.watch();
  const next = cs.tryNext().then(
    (v) => ({ v }),
    (e) => ({ e }),
  );
  await items.insertOne({ _id: 'cs1' });
  const r = await Promise.race([next, sleep(3000).then(() => ({ e: new Error('no event within 3s') }))]);
  await cs.close().catch(() => {});
  if (r.e) throw r.e;
  return 'event received';
});
await step('capped collection', () =>
  db.createCollection('capped', { capped: true, size: 100000, max: 10 }).then(() => 'created'),
);
await step('$jsonSchema validator', async () => {
  await db.createCollection('validated', { validator: { $jsonSchema: { bsonType: 'object', required: ['a'] } } });
  try {
    await db.collection('validated').insertOne({ b: 1 });
  } catch (e) {
    return `rejected ${e.code}`;
  }
  throw new Error('invalid document accepted');
});
await step('renameCollection / listCollections / listDatabases', async () => {
  await db.collection('capped').rename('capped2');
  const names = (await db.listCollections().toArray()).map((c) => c.name);
  const dbs = await client.db().admin().listDatabases();
  return [names.includes('capped2'), dbs.databases.length > 0];
});
await step('dropDatabase', () => db.dropDatabase());
await client.close();

for (const r of results) console.log(r.join(' | '));
const failed = results.filter((r) => r[1] !== 'OK').length;
console.log(`${results.length - failed} as MongoDB, ${failed} differ (see FAIL lines)`);
