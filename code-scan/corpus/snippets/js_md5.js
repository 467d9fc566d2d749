const crypto = require('crypto');

function fingerprint(user) {
  return crypto.createHash('md5').update(user.email).digest('hex');
}
