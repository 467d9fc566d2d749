<?php
$name = $_GET['name'];
echo "<h1>Welcome, " . $_GET['name'] . "</h1>";
