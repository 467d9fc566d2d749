const express = require("express");
const axios = require("axios");
const app = express();

app.get("/avatar", async (req, res) => {
  const src = req.query.src;
  const upstream = await axios.get(src, { responseType: "arraybuffer" });
  res.type("image/png").send(upstream.data);
});
