#!/bin/bash
read -r -p "command: " user_cmd
eval "$user_cmd"
