# The inputs of every test file here (Terraform loads this file for each): eu-west, linked to
# the two other regions. A run changes only what it tests.

name        = "eu-west"
vpc_cidr    = "10.10.0.0/16"
release     = "1.0.0"
regions_dir = "../../../regions"

# Listed against eu-west's failover order (us-east, then ap-southeast) on purpose.
peers = [
  {
    name           = "ap-southeast"
    aws_region     = "ap-southeast-1"
    vpc_cidr       = "10.30.0.0/16"
    edge_cidrs     = ["10.30.16.0/20", "10.30.32.0/20", "10.30.48.0/20"]
    core_cidrs     = ["10.30.64.0/20", "10.30.80.0/20", "10.30.96.0/20"]
    database_cidrs = ["10.30.112.0/20", "10.30.128.0/20", "10.30.144.0/20"]
    database_join  = ["10.30.112.10:26257", "10.30.128.10:26257", "10.30.144.10:26257"]
    core_endpoint  = "shop-ap-southeast-core.elb.ap-southeast-1.amazonaws.com:8080"
  },
  {
    name           = "us-east"
    aws_region     = "us-east-1"
    vpc_cidr       = "10.20.0.0/16"
    edge_cidrs     = ["10.20.16.0/20", "10.20.32.0/20", "10.20.48.0/20"]
    core_cidrs     = ["10.20.64.0/20", "10.20.80.0/20", "10.20.96.0/20"]
    database_cidrs = ["10.20.112.0/20", "10.20.128.0/20", "10.20.144.0/20"]
    database_join  = ["10.20.112.10:26257", "10.20.128.10:26257", "10.20.144.10:26257"]
    core_endpoint  = "shop-us-east-core.elb.us-east-1.amazonaws.com:8080"
  },
]

core_network = {
  id  = "core-network-0123456789abcdef0"
  arn = "arn:aws:networkmanager::123456789012:core-network/core-network-0123456789abcdef0"
}

tags = { CostCenter = "platform" }
