<?php
function register($pdo, $user, $password) {
    $hash = password_hash($password, PASSWORD_DEFAULT);
    $st = $pdo->prepare("INSERT INTO users (name, pw) VALUES (?, ?)");
    $st->execute([$user, $hash]);
}
