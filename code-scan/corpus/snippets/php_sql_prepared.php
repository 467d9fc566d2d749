<?php
$pdo = new PDO($dsn, $user, getenv('DB_PASS'));
$st = $pdo->prepare("SELECT * FROM products WHERE id = ?");
$st->execute([$_GET['id']]);
foreach ($st as $row) {
    echo htmlspecialchars($row['name'], ENT_QUOTES, 'UTF-8');
}
