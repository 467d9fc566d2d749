async function findByEmail(sequelize, email) {
  const [rows] = await sequelize.query(`SELECT * FROM users WHERE email = '${email}'`);
  return rows[0];
}
