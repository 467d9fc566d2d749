async function findByEmail(User, email) {
  return User.findOne({ where: { email } });
}
