#!/bin/sh
mkdir -p /var/www/uploads
chmod -R 777 /var/www/uploads
