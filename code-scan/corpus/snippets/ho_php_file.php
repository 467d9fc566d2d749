<?php
$file = $_GET['file'];
header('Content-Type: application/octet-stream');
readfile('/var/www/files/' . $_GET['file']);
