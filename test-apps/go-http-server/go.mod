module warpgrid.example/go-http-server

go 1.22
