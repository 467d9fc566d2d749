function showComment(comment) {
  const div = document.createElement('div');
  div.innerHTML = '<p>' + comment.text + '</p>';
  document.body.appendChild(div);
}
