import { MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../document-store.js';
import {
  duplicateNamesAnyIndex,
  duplicateNamesIndex,
  isDuplicateKeyError,
  translateMongoError,
} from './mongo-errors.js';

const serverError = (code: number, errmsg: string) => new MongoServerError({ ok: 0, code, errmsg });

// The messages as MongoDB 7 and FerretDB v1.24 (SQLite backend) send them.
const mongoDuplicate = serverError(
  11000,
  'E11000 duplicate key error collection: keel.pages index: tenantId__slug__unique dup key: { tenantId: "t1", slug: "a" }',
);
const ferretInsertDuplicate = serverError(11000, 'E11000 duplicate key error collection: keel.pages');
const ferretUpdateDuplicate = serverError(
  1,
  "[msg_update.go:133 handler.(*Handler).updateDocument] constraint failed: UNIQUE constraint failed: index 'pages_f00c3c10_tenantId__slug__unique' (2067)",
);

describe('duplicate-key errors', () => {
  it('recognises MongoDB and FerretDB v1 forms, and nothing else', () => {
    expect(isDuplicateKeyError(mongoDuplicate)).toBe(true);
    expect(isDuplicateKeyError(ferretInsertDuplicate)).toBe(true);
    expect(isDuplicateKeyError(ferretUpdateDuplicate)).toBe(true);
    expect(isDuplicateKeyError(serverError(1, 'some other internal error'))).toBe(false);
    expect(isDuplicateKeyError(new Error('E11000'))).toBe(false);
  });

  it('finds the index a message names', () => {
    expect(duplicateNamesIndex(mongoDuplicate, 'tenantId__slug__unique')).toBe(true);
    expect(duplicateNamesIndex(mongoDuplicate, 'slug__unique')).toBe(false);
    expect(duplicateNamesIndex(ferretUpdateDuplicate, 'tenantId__slug__unique')).toBe(true);
    expect(duplicateNamesIndex(ferretUpdateDuplicate, 'slug')).toBe(false);
    expect(duplicateNamesAnyIndex(ferretInsertDuplicate)).toBe(false);
  });
});

describe('translateMongoError', () => {
  it('turns connectivity failures into a retryable StoreUnavailableError', () => {
    const translated = translateMongoError(
      new MongoNetworkError('connection 3 to 10.0.0.5:27017 closed'),
      'mongodb://db:27017',
    );
    expect(translated).toBeInstanceOf(StoreUnavailableError);
    expect(translated).toMatchObject({
      code: 'STORE.UNAVAILABLE',
      retryable: true,
      message: 'cannot reach MongoDB at mongodb://db:27017: connection 3 to 10.0.0.5:27017 closed',
    });
    expect(translateMongoError(mongoDuplicate, 'x')).toBe(mongoDuplicate);
  });
});
