const { generateKeyPair } = require("crypto");
const { promisify } = require("util");

const generate = promisify(generateKeyPair);

async function issuerKeys() {
  const { publicKey, privateKey } = await generate("rsa", { modulusLength: 3072 });
  return { publicKey, privateKey };
}

module.exports = { issuerKeys };
