module example.com/gofaults

go 1.22
