<?php
$page = $_GET['page'];
include($_GET['page'] . '.php');
