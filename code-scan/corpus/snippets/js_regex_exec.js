const re = /(\d+)-(\d+)/;
const m = re.exec(input);
console.log(m && m[1]);
