const crypto = require('crypto');

function createSessionToken() {
  return crypto.randomBytes(32).toString('hex');
}
