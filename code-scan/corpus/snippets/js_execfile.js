const { execFile } = require('child_process');

function convert(file, cb) {
  execFile('convert', [file, 'out.png'], cb);
}
