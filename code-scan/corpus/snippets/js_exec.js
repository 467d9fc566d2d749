const { exec } = require('child_process');
const express = require('express');
const app = express();

app.get('/convert', (req, res) => {
  exec(`convert ${req.query.file} out.png`, (err, stdout) => {
    res.send(stdout);
  });
});
