const fs = require("fs");
const path = require("path");
const AdmZip = require("adm-zip");

function unpack(archive, outDir) {
  const zip = new AdmZip(archive);
  for (const entry of zip.getEntries()) {
    if (entry.isDirectory) continue;
    fs.writeFileSync(path.join(outDir, entry.entryName), entry.getData());
  }
}

module.exports = { unpack };
