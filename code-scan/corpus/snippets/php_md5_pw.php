<?php
function register($pdo, $user, $password) {
    $hash = md5($password);
    $st = $pdo->prepare("INSERT INTO users (name, pw) VALUES (?, ?)");
    $st->execute([$user, $hash]);
}
