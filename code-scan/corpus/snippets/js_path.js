const fs = require('fs');
const path = require('path');

app.get('/download', (req, res) => {
  const file = path.join(__dirname, 'files', req.query.name);
  fs.readFile(file, (err, data) => res.send(data));
});
