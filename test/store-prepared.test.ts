import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, type Db, type OpenedDatabase, openDatabase } from '../services/store/open.ts';
import { PreparedQuery } from '../services/store/prepared.ts';
import { tempDir } from './harness/index.ts';
import { ENGINES, storeLocation } from './harness/store.ts';

/** counts how often the query is built: once to compile it, and once per call that falls back */
function counted<V extends Record<string, unknown>, R>(
  build: (db: Db, v: V) => import('kysely').Compilable<R>,
) {
  const calls = { n: 0 };
  const query = new PreparedQuery((db: Db, v: V) => {
    calls.n++;
    return build(db, v);
  });
  return { query, calls };
}

const names = async (db: Db) =>
  (await db.selectFrom('teams').select(['id', 'name']).orderBy('id').execute()).map(
    (r) => `${r.id}=${r.name}`,
  );

describe.each(ENGINES)('a prepared query on %s', (engine) => {
  let dir: ReturnType<typeof tempDir>;
  let drop: () => Promise<void>;
  let opened: OpenedDatabase;
  let db: Db;

  beforeEach(async () => {
    dir = tempDir();
    const where = await storeLocation(engine, dir.path, 'prepared');
    drop = where.drop;
    opened = await openDatabase(where.location);
    db = opened.db;
  });
  afterEach(async () => {
    await closeDatabase(opened);
    await drop();
    dir.remove();
  });

  it('is built once and then runs with each call its own values', async () => {
    const { query: insert, calls } = counted((d: Db, v: { id: string; name: string }) =>
      d.insertInto('teams').values(v),
    );
    for (let i = 1; i <= 5; i++) await insert.execute(db, engine, { id: `t${i}`, name: `Team ${i}` });
    expect(await names(db)).toEqual(['t1=Team 1', 't2=Team 2', 't3=Team 3', 't4=Team 4', 't5=Team 5']);
    expect(calls.n).toBe(1);

    // names in another order are the same values: each lands where its name says
    await insert.execute(db, engine, { name: 'Team 6', id: 't6' });
    expect((await names(db)).at(-1)).toBe('t6=Team 6');
    expect(calls.n).toBe(1);
  });

  it('keeps what the builder bound itself, and answers rows and counts as the builder does', async () => {
    await db
      .insertInto('teams')
      .values([
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B' },
      ])
      .execute();
    const rename = new PreparedQuery((d: Db, v: { id: string; name: string }) =>
      d
        .updateTable('teams')
        .set({ name: v.name })
        .where('id', '=', v.id)
        // a value the builder binds itself, not one of the call's
        .where('name', '<>', 'a name no team has'),
    );
    const done = await rename.execute(db, engine, { id: 'a', name: 'Anna' });
    expect(Number(done.numAffectedRows)).toBe(1);
    const none = await rename.execute(db, engine, { id: 'nobody', name: 'X' });
    expect(Number(none.numAffectedRows)).toBe(0);
    expect(await names(db)).toEqual(['a=Anna', 'b=B']);

    const find = new PreparedQuery((d: Db, v: { id: string }) =>
      d.selectFrom('teams').select(['id', 'name']).where('id', '=', v.id),
    );
    expect((await find.execute(db, engine, { id: 'b' })).rows).toEqual([{ id: 'b', name: 'B' }]);
    expect((await find.execute(db, engine, { id: 'zz' })).rows).toEqual([]);
  });

  it('runs inside a transaction, and is rolled back with it', async () => {
    const insert = new PreparedQuery((d: Db, v: { id: string; name: string }) =>
      d.insertInto('teams').values(v),
    );
    await expect(
      db.transaction().execute(async (trx) => {
        await insert.execute(trx, engine, { id: 'gone', name: 'Gone' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await db.transaction().execute((trx) => insert.execute(trx, engine, { id: 'kept', name: 'Kept' }));
    expect(await names(db)).toEqual(['kept=Kept']);
  });

  it('builds the ordinary way a call with an undefined value (left out, as the builder leaves it out)', async () => {
    await db.insertInto('teams').values({ id: 'a', name: 'A' }).execute();
    const { query: set, calls } = counted(
      (d: Db, v: { id: string; newId: string; name: string | undefined }) =>
        d.updateTable('teams').set({ id: v.newId, name: v.name }).where('id', '=', v.id),
    );
    await set.execute(db, engine, { id: 'a', newId: 'a', name: 'Anna' });
    expect(calls.n).toBe(1);
    // `name: undefined` is no column to set: the name stays (bound as a value it would be NULL or fail)
    await set.execute(db, engine, { id: 'a', newId: 'b', name: undefined });
    expect(calls.n).toBe(2);
    expect(await names(db)).toEqual(['b=Anna']);
  });

  it('builds the ordinary way a call with a value the template has no place for', async () => {
    await db.insertInto('teams').values({ id: 'a', name: 'A' }).execute();
    const { query: find, calls } = counted((d: Db, v: { id: string; extra?: string }) =>
      d.selectFrom('teams').select('name').where('id', '=', v.id),
    );
    expect((await find.execute(db, engine, { id: 'a' })).rows).toEqual([{ name: 'A' }]);
    expect(calls.n).toBe(1);
    expect((await find.execute(db, engine, { id: 'a', extra: 'x' })).rows).toEqual([{ name: 'A' }]);
    expect(calls.n).toBe(2);
  });

  it('refuses a query that does not place each value exactly once', async () => {
    const twice = new PreparedQuery((d: Db, v: { id: string }) =>
      d.selectFrom('teams').select('name').where('id', '=', v.id).where('name', '=', v.id),
    );
    await expect(twice.execute(db, engine, { id: 'a' })).rejects.toThrow(/exactly once/);
    const unused = new PreparedQuery((d: Db, _v: { id: string; name: string }) =>
      d.selectFrom('teams').select('name').where('id', '=', _v.id),
    );
    await expect(unused.execute(db, engine, { id: 'a', name: 'n' })).rejects.toThrow(/exactly once/);
  });
});

describe('a prepared query on both engines at once', () => {
  it('keeps a template per engine (their SQL differs)', async () => {
    const dir = tempDir();
    const where = await Promise.all(ENGINES.map((e) => storeLocation(e, dir.path, 'prepared_both')));
    const dbs = await Promise.all(where.map((w) => openDatabase(w.location)));
    try {
      const insert = new PreparedQuery((d: Db, v: { id: string; name: string }) =>
        d.insertInto('teams').values(v),
      );
      for (const [i, engine] of ENGINES.entries()) {
        await insert.execute(dbs[i]!.db, engine, { id: `x-${engine}`, name: engine });
        await insert.execute(dbs[i]!.db, engine, { id: `y-${engine}`, name: engine });
        expect(await names(dbs[i]!.db)).toEqual([`x-${engine}=${engine}`, `y-${engine}=${engine}`]);
      }
    } finally {
      for (const d of dbs) await closeDatabase(d);
      for (const w of where) await w.drop();
      dir.remove();
    }
  });
});
