const pgp = require("pg-promise")();
const db = pgp(process.env.DATABASE_URL);

async function search(req, res) {
  const rows = await db.manyOrNone({
    text: "SELECT id, title FROM articles WHERE title LIKE $1",
    values: ["%" + req.query.term + "%"],
  });
  res.json(rows);
}

module.exports = { search };
