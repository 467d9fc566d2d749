const pgp = require("pg-promise")();
const db = pgp(process.env.DATABASE_URL);

async function search(req, res) {
  let sql = "SELECT id, title FROM articles WHERE title LIKE '%";
  sql += req.query.term + "%'";
  const rows = await db.manyOrNone(sql);
  res.json(rows);
}

module.exports = { search };
