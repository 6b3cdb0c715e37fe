module github.com/gosock/gosock

go 1.26
