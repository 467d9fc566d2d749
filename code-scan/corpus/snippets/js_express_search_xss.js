const express = require("express");
const app = express();

app.get("/search", (req, res) => {
  const term = req.query.term || "";
  const html = "<p>No results for <b>" + term + "</b></p>";
  res.send(html);
});

app.listen(3000);
