function showComment(comment) {
  const p = document.createElement('p');
  p.textContent = comment.text;
  document.body.appendChild(p);
}
