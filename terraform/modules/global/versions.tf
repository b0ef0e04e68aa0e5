terraform {
  # 1.9 for validations that read other variables; 1.7 for mock providers in tests.
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
