<?php
$name = basename($_GET['file']);
readfile('/var/www/files/' . $name);
