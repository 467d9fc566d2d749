const express = require("express");
const escapeHtml = require("escape-html");
const app = express();

app.get("/search", (req, res) => {
  const term = escapeHtml(req.query.term || "");
  res.send("<p>No results for <b>" + term + "</b></p>");
});

app.listen(3000);
