import { MongoClient } from "mongodb";
const c = new MongoClient("mongodb://127.0.0.1:27031/");
const dbs = (await c.db().admin().listDatabases()).databases.map((d) => d.name);
console.log(dbs);
for (const d of dbs.filter((n) => n.startsWith("bench"))) {
  const db = c.db(d);
  const jobs = await db.collection("jobs").find({}).toArray();
  for (const j of jobs) console.log(d, j._id, j.status, j.counters, j.owner, j.error);
  for (const coll of ["frontier", "events", "queue", "batches", "tokens", "marks", "members"]) console.log(coll, await db.collection(coll).countDocuments({}));
  console.log(await db.collection("members").find({}).toArray());
  console.log(await db.collection("tokens").find({ kind: { $ne: "x" } }).toArray());
}
await c.close();
