#!/bin/sh
echo "[web]"
