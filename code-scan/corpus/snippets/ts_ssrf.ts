import express from 'express';
import axios from 'axios';

const app = express();
app.get('/proxy', async (req, res) => {
  const r = await axios.get(req.query.url as string);
  res.send(r.data);
});
