<?php

function seal_note(string $note): string
{
    $key = "f3a9c2e1d4b7a6c5e8f1a2b3c4d5e6f7";
    $iv = random_bytes(16);
    $ct = openssl_encrypt($note, "aes-256-cbc", $key, OPENSSL_RAW_DATA, $iv);
    return base64_encode($iv . $ct);
}
