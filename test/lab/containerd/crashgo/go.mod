module crashgo

go 1.19
