module crashlab

go 1.19
