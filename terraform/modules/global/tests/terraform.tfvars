# The inputs of every test file here (Terraform loads this file for each): three regions whose
# edge load balancers exist. A run changes only what it tests.

domain_name = "shop.example.com"
zone_id     = "Z0123456789ABCDEFGHIJ"
regions = [
  { name = "eu-west", aws_region = "eu-west-1", vpc_cidr = "10.10.0.0/16", edge_lb_dns_name = "shop-eu-west-edge.elb.eu-west-1.amazonaws.com", edge_lb_zone_id = "Z2IFOLAFXWLO4F", backups_bucket = "shop-eu-west-db-backups-123456789012" },
  { name = "us-east", aws_region = "us-east-1", vpc_cidr = "10.20.0.0/16", edge_lb_dns_name = "shop-us-east-edge.elb.us-east-1.amazonaws.com", edge_lb_zone_id = "Z26RNL4JYFTOTI", backups_bucket = "shop-us-east-db-backups-123456789012" },
  { name = "ap-southeast", aws_region = "ap-southeast-1", vpc_cidr = "10.30.0.0/16", edge_lb_dns_name = "shop-ap-southeast-edge.elb.ap-southeast-1.amazonaws.com", edge_lb_zone_id = "ZKVM4W9LS7TM", backups_bucket = "shop-ap-southeast-db-backups-123456789012" },
]
